# technique: os.listdir('/proc') to find other processes
# expected: runtime, os
import os
print('ESCAPED', os.listdir('/proc')[:20])
