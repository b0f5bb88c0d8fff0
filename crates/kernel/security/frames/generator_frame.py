# technique: generator gi_frame.f_back
# expected: lint, runtime
def g():
    yield 1
it = g()
print('ESCAPED', it.gi_frame.f_back)
