# technique: os.fork and write from the child
# expected: lint, runtime
import os
if os.fork() == 0:
    open('{SCRATCH}/child_ran', 'w').write('x')
    os._exit(0)
