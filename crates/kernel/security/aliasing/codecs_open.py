# technique: codecs.open as an open alias
# expected: runtime, os
import codecs
print('ESCAPED', codecs.open('{CANARY}', 'r').read())
