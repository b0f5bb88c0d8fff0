# technique: /proc/<host pid>/environ
# expected: runtime, os
print(open('/proc/{HOST_PID}/environ', 'rb').read())
