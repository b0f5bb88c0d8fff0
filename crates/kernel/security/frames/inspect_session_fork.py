# technique: reach the runtime's Session object through inspect.stack() and call its snapshot (fork) method
# expected: lint, runtime (no runtime trust with an agent frame on the stack)
import inspect
s = [fr.frame.f_locals['self'] for fr in inspect.stack() if type(fr.frame.f_locals.get('self')).__name__ == 'Session'][0]
s._snapshot()
