# technique: type(x).__mro__[-1].__subclasses__()
# expected: lint, runtime, os
base = type(1).__mro__[-1]
for c in base.__subclasses__():
    g = getattr(getattr(c, '__init__', None), '__globals__', None)
    if g and 'open' in g.get('__builtins__', {}) if isinstance(g.get('__builtins__'), dict) else False:
        print('ESCAPED', g['__builtins__']['open']('{CANARY}').read())
        break
