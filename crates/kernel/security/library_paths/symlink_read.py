# technique: symlink to the canary, read through it
# expected: runtime, os
import os
os.symlink('{CANARY}', 'sym.txt')
print('ESCAPED', open('sym.txt').read())
