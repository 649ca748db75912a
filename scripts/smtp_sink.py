"""A loopback SMTP server for scripts/instances.py: accepts every mail and appends a JSON
line {"message_id", "to", "at"} per mail received to OUT_FILE. Plain SMTP (no TLS, no
authentication), enough for lettre's client; stopping the process is the outage.

Usage: smtp_sink.py PORT OUT_FILE [DELAY_MS]  (DELAY_MS: a pause before each mail's 250,
so that delivery takes a while and a kill lands during it)"""

import asyncio
import json
import sys
import time

port, out_file = int(sys.argv[1]), sys.argv[2]
delay = (int(sys.argv[3]) if len(sys.argv) > 3 else 0) / 1000


def header(message, name):
    """The value of the first header `name` (case-insensitive) of a raw message."""
    for line in message.split(b"\r\n"):
        if not line:
            break
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower():
            return value.strip().decode("ascii", "replace")
    return None


async def session(reader, writer):
    recipients = []
    writer.write(b"220 sink ESMTP\r\n")
    try:
        while line := await reader.readline():
            command = line.strip().upper()
            if command.startswith(b"EHLO"):
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif command.startswith(b"RCPT"):
                recipients.append(line.strip()[8:].decode("ascii", "replace").strip("<>"))
                writer.write(b"250 ok\r\n")
            elif command == b"DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                message = b""
                while (chunk := await reader.readline()) not in (b".\r\n", b""):
                    message += chunk
                await asyncio.sleep(delay)
                with open(out_file, "a", encoding="utf-8") as out:
                    out.write(json.dumps({"message_id": header(message, b"Message-ID"),
                                          "to": recipients, "at": time.time()}) + "\n")
                recipients = []
                writer.write(b"250 queued\r\n")
            elif command == b"QUIT":
                writer.write(b"221 bye\r\n")
                break
            elif command == b"RSET":
                recipients = []
                writer.write(b"250 ok\r\n")
            else:  # HELO, MAIL, NOOP
                writer.write(b"250 ok\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", port, reuse_address=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
