# technique: setattr to replace a runtime helper
# expected: lint, runtime
import builtins
setattr(builtins, 'print', lambda *a: open('{CANARY}', 'w').write('x'))
print('x')
