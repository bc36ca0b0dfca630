"""The server side of training: a pool of worker processes (runner, worker), the
results it keeps (store), a page's view of one job (watch), and protocol.py, the
typed job/event/result definitions that the server and the workers share."""
