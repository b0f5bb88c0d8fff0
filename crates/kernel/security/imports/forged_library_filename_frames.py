# technique: code under a forged library file name walks frames to the runtime's globals
# expected: lint, runtime
import codeop, types, os
fake = os.path.dirname(np.__file__) + '/_forged2.py'
src = "import sys\nf = sys._getframe()\nwhile f.f_back:\n    f = f.f_back\nprint('ESCAPED', sorted(f.f_globals)[:5])\n"
types.FunctionType(codeop.compile_command(src, fake, 'exec'), {'__builtins__': __builtins__})()
