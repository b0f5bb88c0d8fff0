# technique: replace a module in sys.modules the runtime uses
# expected: lint, runtime
import sys, types
m = types.ModuleType('json')
m.dumps = lambda *a, **k: 'ESCAPED'
sys.modules['json'] = m
print('replaced')
