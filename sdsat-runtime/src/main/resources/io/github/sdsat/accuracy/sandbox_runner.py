# Licensed under the Apache License, Version 2.0.
#
# The preamble of io.github.sdsat.accuracy.PythonSandbox: started as `python3 -I -B runner.py <limits...>` in the
# problem's fresh folder, it limits this process, optionally drops root privileges, installs an audit hook that
# refuses writes outside the folder, child programs, sockets and ctypes, then runs program.py. It prints the pass
# marker only when the program ran to its end without an exception (SystemExit included): the Java side requires
# exit status 0 and the marker. The hard boundaries are the kernel's (rlimits, the unprivileged user, the network
# and PID namespaces set up by the caller); the audit hook is a second layer for what those leave open (the
# world-writable /tmp, the network where no namespace can be made).
import os
import resource
import sys

MARKER = "__SDSAT_SANDBOX_PASSED__"


def limit(which, value):
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and value > hard:
        value = hard
    resource.setrlimit(which, (value, value))


def main():
    cpu_seconds, memory_bytes, file_bytes, processes, drop_uid, drop_gid = (int(a) for a in sys.argv[1:7])
    folder = os.path.realpath(os.getcwd())
    limit(resource.RLIMIT_CPU, cpu_seconds)
    limit(resource.RLIMIT_AS, memory_bytes)
    limit(resource.RLIMIT_FSIZE, file_bytes)
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_NPROC, processes)
    if drop_uid >= 0 and os.geteuid() == 0:
        # As root RLIMIT_NPROC is not enforced and every file is writable: run as an unprivileged user instead.
        os.setgroups([])
        os.setgid(drop_gid)
        os.setuid(drop_uid)
    if os.getpgrp() != os.getpid():
        # Its own process group, so the caller can end the program and every child it forked at once.
        os.setpgid(0, 0)

    with open("program.py", "r", encoding="utf-8") as source_file:
        source = source_file.read()
    code = compile(source, "program.py", "exec")

    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    path_events = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.symlink",
                   "os.link", "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move"}
    refused_events = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile",
                      "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "socket.connect",
                      "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "sys.setprofile",
                      "sys.settrace", "os.kill", "os.killpg", "signal.pthread_kill", "resource.setrlimit",
                      "resource.prlimit", "os.setuid", "os.setgid"}
    refused_modules = {"ctypes", "_ctypes"}
    realpath = os.path.realpath
    fspath = os.fspath

    def inside(path):
        if isinstance(path, int):
            return True  # an already open descriptor
        resolved = realpath(fspath(path))
        if isinstance(resolved, bytes):
            resolved = resolved.decode("utf-8", "surrogateescape")
        return resolved == folder or resolved.startswith(folder + os.sep)

    def audit(event, args):
        if event == "open":
            path, mode, flags = args
            writing = (mode is not None and any(c in mode for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & write_flags)
            if writing and path is not None and not inside(path):
                raise PermissionError("sandbox: writing outside the problem folder is not allowed: %r" % (path,))
        elif event in path_events:
            for arg in args[:2]:
                if isinstance(arg, (str, bytes, os.PathLike)) and not inside(arg):
                    raise PermissionError("sandbox: %s outside the problem folder is not allowed" % event)
        elif event in refused_events:
            raise PermissionError("sandbox: %s is not allowed" % event)
        elif event == "import" and args[0] in refused_modules:
            raise ImportError("sandbox: importing %s is not allowed" % args[0])

    sys.addaudithook(audit)
    del sys.argv[1:]
    globals_of_program = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(code, globals_of_program)
    except BaseException:  # SystemExit too: a program that exits early has not passed its check
        import traceback
        traceback.print_exc()
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.write("\n" + MARKER + "\n")
    sys.stdout.flush()
    os._exit(0)


main()
