# technique: os.scandir('/')
# expected: runtime, os
import os
print('ESCAPED', [e.name for e in os.scandir('/')])
