# technique: /proc/self/environ
# expected: runtime, os
print(open('/proc/self/environ', 'rb').read())
