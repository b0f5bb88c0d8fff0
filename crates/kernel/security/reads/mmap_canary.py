# technique: mmap the canary
# expected: runtime, os
import mmap
f = open('{CANARY}', 'rb')
print('ESCAPED', mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)[:])
