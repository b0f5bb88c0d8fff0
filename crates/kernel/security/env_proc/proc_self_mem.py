# technique: write /proc/self/mem
# expected: runtime, os
with open('/proc/self/mem', 'r+b') as f:
    f.seek(0)
print('ESCAPED')
