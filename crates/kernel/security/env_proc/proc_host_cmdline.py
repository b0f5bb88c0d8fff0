# technique: /proc/<host pid>/cmdline
# expected: runtime, os
print(open('/proc/{HOST_PID}/cmdline', 'rb').read())
