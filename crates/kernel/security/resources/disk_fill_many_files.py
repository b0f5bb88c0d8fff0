# technique: many files in scratch
# expected: os (RLIMIT_FSIZE / nofile) or contained
import os
os.makedirs('many', exist_ok=True)
for i in range(2000):
    open('many/%d' % i, 'w').write('x')
