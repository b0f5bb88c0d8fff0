# technique: operator.attrgetter with a built name
# expected: lint, runtime, os
import operator, os
operator.attrgetter('sys' + 'tem')(os)('touch {CANARY_DIR}/attrgetter')
