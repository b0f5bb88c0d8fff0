# technique: func.__code__.replace to run altered bytecode
# expected: lint, runtime
def f():
    return 1
f.__code__ = f.__code__.replace(co_consts=(None, 2))
print('ESCAPED', f())
