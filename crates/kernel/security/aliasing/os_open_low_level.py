# technique: os.open/os.read file descriptors
# expected: lint, runtime, os
import os
fd = os.open('{CANARY}', os.O_RDONLY)
print('ESCAPED', os.read(fd, 100))
