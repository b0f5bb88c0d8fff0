# technique: open as a default argument value
# expected: lint, runtime, os
def r(p, o=open):
    return o(p).read()
print('ESCAPED', r('{CANARY}'))
