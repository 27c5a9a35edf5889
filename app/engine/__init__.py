"""The benchmark engine: runs (codec, level) jobs over an input and measures them honestly.

Holds the scheduler within a time and memory budget (`benchmark`), one job's measurement by
repeated runs (`job_timing`), the forked child a job runs in, killable, without /dev/shm
(`forked_call`), the CPUs this process may use (`cpus`) and the time to deliver a result at a
link speed (`delivery`).

May import: `app.compression` and `app.config`; nothing web (no fastapi, starlette, mangum or
multipart), nothing of TinySite, the HTTP layer or the Lambda side (pyproject.toml's contracts).
"""
