"""The sandbox's system-call filter: a classic BPF program for bubblewrap's ``--seccomp``.

A deny list on top of the namespaces and the missing capabilities. It closes what those leave
open: memory that no address-space limit counts (System V shared memory and message queues),
looking into or steering the sandbox's other processes (``ptrace``, ``process_vm_*``), and
kernel interfaces a program never needs (``io_uring``, ``bpf``, ``perf_event_open``,
``userfaultfd``, keyrings, mounts and namespaces). A denied call fails with EPERM; a call made
through another architecture's ABI (32-bit or x32 calls on x86-64) kills the process.
"""
from __future__ import annotations

import platform
import struct

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "shmget", "msgget", "semget",
    "userfaultfd", "perf_event_open", "bpf", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "keyctl", "add_key", "request_key", "personality", "unshare", "setns",
    "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "name_to_handle_at", "open_by_handle_at",
    "fanotify_init", "move_pages", "migrate_pages", "memfd_secret", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "acct", "swapon",
    "swapoff", "reboot", "syslog", "quotactl",
)

# (audit architecture, system-call numbers) from <asm/unistd_64.h> and <asm-generic/unistd.h>.
ARCHITECTURES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, {
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
        "shmget": 29, "msgget": 68, "semget": 64, "userfaultfd": 323, "perf_event_open": 298,
        "bpf": 321, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "keyctl": 250, "add_key": 248, "request_key": 249, "personality": 135, "unshare": 272,
        "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "name_to_handle_at": 303,
        "open_by_handle_at": 304, "fanotify_init": 300, "move_pages": 279,
        "migrate_pages": 256, "memfd_secret": 447, "kexec_load": 246, "kexec_file_load": 320,
        "init_module": 175, "finit_module": 313, "delete_module": 176, "acct": 163,
        "swapon": 167, "swapoff": 168, "reboot": 169, "syslog": 103, "quotactl": 179,
    }),
    "aarch64": (0xC00000B7, {
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272,
        "shmget": 194, "msgget": 186, "semget": 190, "userfaultfd": 282, "perf_event_open": 241,
        "bpf": 280, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "keyctl": 219, "add_key": 217, "request_key": 218, "personality": 92, "unshare": 97,
        "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "name_to_handle_at": 264,
        "open_by_handle_at": 265, "fanotify_init": 262, "move_pages": 239,
        "migrate_pages": 238, "memfd_secret": 447, "kexec_load": 104, "kexec_file_load": 294,
        "init_module": 105, "finit_module": 273, "delete_module": 106, "acct": 89,
        "swapon": 224, "swapoff": 225, "reboot": 142, "syslog": 116, "quotactl": 60,
    }),
}

LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS
JUMP_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JUMP_GREATER_EQUAL = 0x35  # BPF_JMP | BPF_JGE | BPF_K
RETURN = 0x06  # BPF_RET | BPF_K
KILL_PROCESS = 0x80000000
DENY = 0x00050000 | 1  # SECCOMP_RET_ERRNO | EPERM
ALLOW = 0x7FFF0000
X32_BIT = 0x40000000
NR_OFFSET, ARCH_OFFSET = 0, 4  # struct seccomp_data


def supported_machine() -> bool:
    return platform.machine() in ARCHITECTURES


def _instruction(code: int, k: int, jump_true: int = 0, jump_false: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jump_true, jump_false, k)


def filter_program(machine: str | None = None) -> bytes:
    """The filter for ``machine`` (this one by default), as bubblewrap reads it from an fd."""
    audit_arch, numbers = ARCHITECTURES[machine or platform.machine()]
    denied = sorted({numbers[name] for name in DENIED})
    program = [
        _instruction(LOAD_WORD, ARCH_OFFSET),
        _instruction(JUMP_EQUAL, audit_arch, jump_true=1),
        _instruction(RETURN, KILL_PROCESS),
        _instruction(LOAD_WORD, NR_OFFSET),
    ]
    if (machine or platform.machine()) == "x86_64":
        program += [_instruction(JUMP_GREATER_EQUAL, X32_BIT, jump_false=1),
                    _instruction(RETURN, KILL_PROCESS)]
    for position, number in enumerate(denied):
        # past the remaining comparisons and the ALLOW, onto the DENY
        program.append(_instruction(JUMP_EQUAL, number, jump_true=len(denied) - position))
    program += [_instruction(RETURN, ALLOW), _instruction(RETURN, DENY)]
    return b"".join(program)
