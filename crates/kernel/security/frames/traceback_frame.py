# technique: exception __traceback__.tb_frame.f_back.f_globals
# expected: lint, runtime
try:
    1 / 0
except Exception as e:
    g = e.__traceback__.tb_frame.f_back.f_globals
    print('ESCAPED', list(g))
