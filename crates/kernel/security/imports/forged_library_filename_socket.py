# technique: code under a forged library file name opens a TCP connection
# expected: lint, runtime, os (netns / landlock net)
import codeop, types, os
fake = os.path.dirname(np.__file__) + '/_forged5.py'
src = "import socket\nsocket.create_connection(('127.0.0.1', {PORT}), timeout=2)\nprint('ESCAPED')\n"
types.FunctionType(codeop.compile_command(src, fake, 'exec'), {'__builtins__': __builtins__})()
