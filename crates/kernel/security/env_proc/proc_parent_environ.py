# technique: /proc/<ppid>/environ (the zygote or host)
# expected: runtime, os
import os
print(open('/proc/%d/environ' % os.getppid(), 'rb').read())
