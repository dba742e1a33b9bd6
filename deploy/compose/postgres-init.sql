-- Runs once, when the postgres-data volume is first initialised.
-- Same databases as the dev/CI machines: postgres (default), test, root.
CREATE DATABASE test;
CREATE DATABASE root;
