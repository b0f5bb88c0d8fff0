# technique: read /etc/passwd
# expected: runtime, os
t = open('/etc/passwd').read()
if 'root:' in t:
    print('ESCAPED')
