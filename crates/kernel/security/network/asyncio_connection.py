# technique: asyncio.open_connection
# expected: lint, runtime, os
import asyncio
async def go():
    await asyncio.open_connection('127.0.0.1', {PORT})
asyncio.run(go())
print('ESCAPED')
