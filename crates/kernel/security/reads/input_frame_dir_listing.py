# technique: walk up from an input frame's path to its directory
# expected: runtime, os
import os
d = os.path.dirname(os.path.dirname('{CANARY}'))
print('ESCAPED', os.listdir(d)[:5])
