# technique: string.Formatter().get_field walks into os.environ for the host secret
# expected: lint, host (clean environment)
import string, os
v = string.Formatter().get_field('0.environ', [os], {})[0].get('{SECRET_NAME}')
if v is not None:
    print('ESCAPED', v)
