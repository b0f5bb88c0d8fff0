# technique: hard link the canary into scratch
# expected: runtime, os
import os
os.link('{CANARY}', 'hard.txt')
print('ESCAPED', open('hard.txt').read())
