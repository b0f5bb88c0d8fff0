# technique: alias open to another name, read the canary
# expected: lint, runtime (audit open), os (landlock)
f = open
print('ESCAPED', f('{CANARY}').read())
