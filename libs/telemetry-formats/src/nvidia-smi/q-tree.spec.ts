import { parseQTree, qChild, qFind, type QNode } from './q-tree';

/** The tree as [key, value, line, children] tuples, for compact expectations. */
type Shape = [string, string | null, number, Shape[]];
const shape = (nodes: QNode[]): Shape[] => nodes.map((n) => [n.key, n.value, n.line, shape(n.children)]);

describe('parseQTree', () => {
  it('nests by indentation whatever column the colon is at', () => {
    const text = [
      '',
      '==============NVSMI LOG==============',
      'Attached GPUs                  : 1',
      'GPU 00000000:82:00.0',
      '    FB Memory Usage',
      '        Total : 8192 MiB',
      '        Used                                   : 0 MiB',
      '    Processes',
      '        Process ID        : 11327',
      '            Name          : ./gpu_burn',
      '    GPU Memory Power Readings ',
      '        Average Power Draw : 85.83 W',
    ].join('\n');
    expect(shape(parseQTree(text))).toEqual([
      ['Attached GPUs', '1', 3, []],
      [
        'GPU 00000000:82:00.0',
        null,
        4,
        [
          [
            'FB Memory Usage',
            null,
            5,
            [
              ['Total', '8192 MiB', 6, []],
              ['Used', '0 MiB', 7, []],
            ],
          ],
          ['Processes', null, 8, [['Process ID', '11327', 9, [['Name', './gpu_burn', 10, []]]]]],
          ['GPU Memory Power Readings', null, 11, [['Average Power Draw', '85.83 W', 12, []]]],
        ],
      ],
    ]);
  });

  it('splits at the first " : " only, and reads an empty value', () => {
    const [licence, empty, stripped] = parseQTree(
      ['License Status : Licensed (Expiry: 2025-3-19 7:29:4 GMT)', 'Serial Number : ', 'Board ID :'].join(
        '\n',
      ),
    );
    expect(licence).toMatchObject({
      key: 'License Status',
      value: 'Licensed (Expiry: 2025-3-19 7:29:4 GMT)',
    });
    expect(empty).toMatchObject({ key: 'Serial Number', value: '' });
    expect(stripped).toMatchObject({ key: 'Board ID', value: '' });
  });

  it('hangs a line indented between two levels under the nearer one above', () => {
    const [top] = parseQTree(['A', '    B', '      C : 1', '  D : 2'].join('\n'));
    expect(shape(top!.children)).toEqual([
      ['B', null, 2, [['C', '1', 3, []]]],
      ['D', '2', 4, []],
    ]);
  });

  it('finds children case-insensitively, trying alternative keys in order', () => {
    const [gpu] = parseQTree(
      [
        'GPU 0',
        '    Utilization',
        '        Gpu : 5 %',
        '    Power Readings',
        '        Power Draw : 1 W',
      ].join('\n'),
    );
    expect(qChild(qChild(gpu, 'Utilization'), 'GPU')?.value).toBe('5 %');
    expect(qFind(gpu!, [['GPU Power Readings', 'Power Readings'], 'Power Draw'])).toMatchObject({
      field: 'Power Readings/Power Draw',
      node: { value: '1 W', line: 5 },
    });
    expect(qFind(gpu!, ['Clocks', 'SM'])).toBeUndefined();
  });
});
