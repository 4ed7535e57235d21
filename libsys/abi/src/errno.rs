//! Linux error numbers (errno), as the POSIX layer in libsys reports them to programs.
//!
//! The numbers are Linux's asm-generic numbering, which x86_64 and aarch64 both use
//! (`EPERM` = 1 through `EHWPOISON` = 133; Linux leaves 41 and 58 unused), so that programs
//! and tools built for Linux read them unchanged. The descriptions are the texts glibc's
//! `strerror` gives. The table was generated from the host's
//! `/usr/include/asm-generic/errno-base.h` and `errno.h` and glibc 2.36's `strerror`, and a
//! host test compares it with the host again.
//!
//! Kernel calls fail with a [`crate::KernelError`], not an errno; `From<KernelError>` gives
//! the errno a POSIX call built on that kernel call reports.

use core::fmt;

use crate::KernelError;

macro_rules! error_numbers {
    ($($variant:ident = $number:literal => $name:literal, $text:literal,)*) => {
        /// A Linux error number.
        ///
        /// The discriminant is the Linux number. Variant names are the Linux names in
        /// upper camel case with the `E` kept (`Eperm` is `EPERM`), so they can be found
        /// next to Linux's. Linux's aliases are associated constants:
        /// [`Errno::EWOULDBLOCK`], [`Errno::EDEADLOCK`] and [`Errno::ENOTSUP`].
        #[repr(i32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Errno {
            $(
                #[doc = concat!("`", $name, "` (", stringify!($number), "): ", $text, ".")]
                $variant = $number,
            )*
        }

        impl Errno {
            /// Every error number, in numeric order.
            pub const ALL: &'static [Errno] = &[$(Errno::$variant,)*];

            /// Decodes a Linux error number; `None` for 0, negative numbers and numbers
            /// Linux does not define.
            pub const fn from_number(number: i32) -> Option<Errno> {
                match number {
                    $($number => Some(Errno::$variant),)*
                    _ => None,
                }
            }

            /// The Linux name, such as `"EPERM"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Errno::$variant => $name,)*
                }
            }

            /// The text glibc's `strerror` gives, such as `"Operation not permitted"`.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Errno::$variant => $text,)*
                }
            }
        }
    };
}

error_numbers! {
    Eperm = 1 => "EPERM", "Operation not permitted",
    Enoent = 2 => "ENOENT", "No such file or directory",
    Esrch = 3 => "ESRCH", "No such process",
    Eintr = 4 => "EINTR", "Interrupted system call",
    Eio = 5 => "EIO", "Input/output error",
    Enxio = 6 => "ENXIO", "No such device or address",
    E2big = 7 => "E2BIG", "Argument list too long",
    Enoexec = 8 => "ENOEXEC", "Exec format error",
    Ebadf = 9 => "EBADF", "Bad file descriptor",
    Echild = 10 => "ECHILD", "No child processes",
    Eagain = 11 => "EAGAIN", "Resource temporarily unavailable",
    Enomem = 12 => "ENOMEM", "Cannot allocate memory",
    Eacces = 13 => "EACCES", "Permission denied",
    Efault = 14 => "EFAULT", "Bad address",
    Enotblk = 15 => "ENOTBLK", "Block device required",
    Ebusy = 16 => "EBUSY", "Device or resource busy",
    Eexist = 17 => "EEXIST", "File exists",
    Exdev = 18 => "EXDEV", "Invalid cross-device link",
    Enodev = 19 => "ENODEV", "No such device",
    Enotdir = 20 => "ENOTDIR", "Not a directory",
    Eisdir = 21 => "EISDIR", "Is a directory",
    Einval = 22 => "EINVAL", "Invalid argument",
    Enfile = 23 => "ENFILE", "Too many open files in system",
    Emfile = 24 => "EMFILE", "Too many open files",
    Enotty = 25 => "ENOTTY", "Inappropriate ioctl for device",
    Etxtbsy = 26 => "ETXTBSY", "Text file busy",
    Efbig = 27 => "EFBIG", "File too large",
    Enospc = 28 => "ENOSPC", "No space left on device",
    Espipe = 29 => "ESPIPE", "Illegal seek",
    Erofs = 30 => "EROFS", "Read-only file system",
    Emlink = 31 => "EMLINK", "Too many links",
    Epipe = 32 => "EPIPE", "Broken pipe",
    Edom = 33 => "EDOM", "Numerical argument out of domain",
    Erange = 34 => "ERANGE", "Numerical result out of range",
    Edeadlk = 35 => "EDEADLK", "Resource deadlock avoided",
    Enametoolong = 36 => "ENAMETOOLONG", "File name too long",
    Enolck = 37 => "ENOLCK", "No locks available",
    Enosys = 38 => "ENOSYS", "Function not implemented",
    Enotempty = 39 => "ENOTEMPTY", "Directory not empty",
    Eloop = 40 => "ELOOP", "Too many levels of symbolic links",
    Enomsg = 42 => "ENOMSG", "No message of desired type",
    Eidrm = 43 => "EIDRM", "Identifier removed",
    Echrng = 44 => "ECHRNG", "Channel number out of range",
    El2nsync = 45 => "EL2NSYNC", "Level 2 not synchronized",
    El3hlt = 46 => "EL3HLT", "Level 3 halted",
    El3rst = 47 => "EL3RST", "Level 3 reset",
    Elnrng = 48 => "ELNRNG", "Link number out of range",
    Eunatch = 49 => "EUNATCH", "Protocol driver not attached",
    Enocsi = 50 => "ENOCSI", "No CSI structure available",
    El2hlt = 51 => "EL2HLT", "Level 2 halted",
    Ebade = 52 => "EBADE", "Invalid exchange",
    Ebadr = 53 => "EBADR", "Invalid request descriptor",
    Exfull = 54 => "EXFULL", "Exchange full",
    Enoano = 55 => "ENOANO", "No anode",
    Ebadrqc = 56 => "EBADRQC", "Invalid request code",
    Ebadslt = 57 => "EBADSLT", "Invalid slot",
    Ebfont = 59 => "EBFONT", "Bad font file format",
    Enostr = 60 => "ENOSTR", "Device not a stream",
    Enodata = 61 => "ENODATA", "No data available",
    Etime = 62 => "ETIME", "Timer expired",
    Enosr = 63 => "ENOSR", "Out of streams resources",
    Enonet = 64 => "ENONET", "Machine is not on the network",
    Enopkg = 65 => "ENOPKG", "Package not installed",
    Eremote = 66 => "EREMOTE", "Object is remote",
    Enolink = 67 => "ENOLINK", "Link has been severed",
    Eadv = 68 => "EADV", "Advertise error",
    Esrmnt = 69 => "ESRMNT", "Srmount error",
    Ecomm = 70 => "ECOMM", "Communication error on send",
    Eproto = 71 => "EPROTO", "Protocol error",
    Emultihop = 72 => "EMULTIHOP", "Multihop attempted",
    Edotdot = 73 => "EDOTDOT", "RFS specific error",
    Ebadmsg = 74 => "EBADMSG", "Bad message",
    Eoverflow = 75 => "EOVERFLOW", "Value too large for defined data type",
    Enotuniq = 76 => "ENOTUNIQ", "Name not unique on network",
    Ebadfd = 77 => "EBADFD", "File descriptor in bad state",
    Eremchg = 78 => "EREMCHG", "Remote address changed",
    Elibacc = 79 => "ELIBACC", "Can not access a needed shared library",
    Elibbad = 80 => "ELIBBAD", "Accessing a corrupted shared library",
    Elibscn = 81 => "ELIBSCN", ".lib section in a.out corrupted",
    Elibmax = 82 => "ELIBMAX", "Attempting to link in too many shared libraries",
    Elibexec = 83 => "ELIBEXEC", "Cannot exec a shared library directly",
    Eilseq = 84 => "EILSEQ", "Invalid or incomplete multibyte or wide character",
    Erestart = 85 => "ERESTART", "Interrupted system call should be restarted",
    Estrpipe = 86 => "ESTRPIPE", "Streams pipe error",
    Eusers = 87 => "EUSERS", "Too many users",
    Enotsock = 88 => "ENOTSOCK", "Socket operation on non-socket",
    Edestaddrreq = 89 => "EDESTADDRREQ", "Destination address required",
    Emsgsize = 90 => "EMSGSIZE", "Message too long",
    Eprototype = 91 => "EPROTOTYPE", "Protocol wrong type for socket",
    Enoprotoopt = 92 => "ENOPROTOOPT", "Protocol not available",
    Eprotonosupport = 93 => "EPROTONOSUPPORT", "Protocol not supported",
    Esocktnosupport = 94 => "ESOCKTNOSUPPORT", "Socket type not supported",
    Eopnotsupp = 95 => "EOPNOTSUPP", "Operation not supported",
    Epfnosupport = 96 => "EPFNOSUPPORT", "Protocol family not supported",
    Eafnosupport = 97 => "EAFNOSUPPORT", "Address family not supported by protocol",
    Eaddrinuse = 98 => "EADDRINUSE", "Address already in use",
    Eaddrnotavail = 99 => "EADDRNOTAVAIL", "Cannot assign requested address",
    Enetdown = 100 => "ENETDOWN", "Network is down",
    Enetunreach = 101 => "ENETUNREACH", "Network is unreachable",
    Enetreset = 102 => "ENETRESET", "Network dropped connection on reset",
    Econnaborted = 103 => "ECONNABORTED", "Software caused connection abort",
    Econnreset = 104 => "ECONNRESET", "Connection reset by peer",
    Enobufs = 105 => "ENOBUFS", "No buffer space available",
    Eisconn = 106 => "EISCONN", "Transport endpoint is already connected",
    Enotconn = 107 => "ENOTCONN", "Transport endpoint is not connected",
    Eshutdown = 108 => "ESHUTDOWN", "Cannot send after transport endpoint shutdown",
    Etoomanyrefs = 109 => "ETOOMANYREFS", "Too many references: cannot splice",
    Etimedout = 110 => "ETIMEDOUT", "Connection timed out",
    Econnrefused = 111 => "ECONNREFUSED", "Connection refused",
    Ehostdown = 112 => "EHOSTDOWN", "Host is down",
    Ehostunreach = 113 => "EHOSTUNREACH", "No route to host",
    Ealready = 114 => "EALREADY", "Operation already in progress",
    Einprogress = 115 => "EINPROGRESS", "Operation now in progress",
    Estale = 116 => "ESTALE", "Stale file handle",
    Euclean = 117 => "EUCLEAN", "Structure needs cleaning",
    Enotnam = 118 => "ENOTNAM", "Not a XENIX named type file",
    Enavail = 119 => "ENAVAIL", "No XENIX semaphores available",
    Eisnam = 120 => "EISNAM", "Is a named type file",
    Eremoteio = 121 => "EREMOTEIO", "Remote I/O error",
    Edquot = 122 => "EDQUOT", "Disk quota exceeded",
    Enomedium = 123 => "ENOMEDIUM", "No medium found",
    Emediumtype = 124 => "EMEDIUMTYPE", "Wrong medium type",
    Ecanceled = 125 => "ECANCELED", "Operation canceled",
    Enokey = 126 => "ENOKEY", "Required key not available",
    Ekeyexpired = 127 => "EKEYEXPIRED", "Key has expired",
    Ekeyrevoked = 128 => "EKEYREVOKED", "Key has been revoked",
    Ekeyrejected = 129 => "EKEYREJECTED", "Key was rejected by service",
    Eownerdead = 130 => "EOWNERDEAD", "Owner died",
    Enotrecoverable = 131 => "ENOTRECOVERABLE", "State not recoverable",
    Erfkill = 132 => "ERFKILL", "Operation not possible due to RF-kill",
    Ehwpoison = 133 => "EHWPOISON", "Memory page has hardware error",
}

impl Errno {
    /// `EWOULDBLOCK`, Linux's other name for `EAGAIN`.
    pub const EWOULDBLOCK: Errno = Errno::Eagain;
    /// `EDEADLOCK`, Linux's other name for `EDEADLK`.
    pub const EDEADLOCK: Errno = Errno::Edeadlk;
    /// `ENOTSUP`, glibc's other name for `EOPNOTSUPP` (they are one number on Linux).
    pub const ENOTSUP: Errno = Errno::Eopnotsupp;

    /// The Linux error number.
    pub const fn number(self) -> i32 {
        self as i32
    }
}

impl fmt::Display for Errno {
    /// Writes the `strerror` text.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.description())
    }
}

impl From<KernelError> for Errno {
    /// The errno a POSIX call reports when the kernel call it is built on fails.
    ///
    /// A POSIX wrapper that knows more than this table (for example that a missing right on
    /// a descriptor means `EBADF`, as for `write` on a read-only file) maps the error
    /// itself.
    fn from(error: KernelError) -> Errno {
        match error {
            // Linux's answer to a system call number it does not know.
            KernelError::UnknownSyscall => Errno::Enosys,
            KernelError::InvalidArgument => Errno::Einval,
            KernelError::BadAddress => Errno::Efault,
            KernelError::OutOfMemory => Errno::Enomem,
            // Handles play the part of file descriptors.
            KernelError::InvalidHandle => Errno::Ebadf,
            // A descriptor that does not support the operation is `EBADF` or a more
            // specific error only the wrapper knows (`ENOTSOCK`, `ENOTDIR`).
            KernelError::WrongHandleKind => Errno::Ebadf,
            // Permission to use an object that exists, as for `open` or `mmap` without the
            // access mode; whether a control operation should say `EPERM` instead is not
            // knowable here.
            KernelError::InsufficientRights => Errno::Eacces,
            KernelError::Timeout => Errno::Etimedout,
            KernelError::Interrupted => Errno::Eintr,
            // The server behind the call is gone, so the object it served failed, as a
            // device that disappears does. `EPIPE` would say more for pipes and sockets,
            // but it means `SIGPIPE` to callers of `write` and reads oddly from `open` or
            // `stat`; pipe and socket wrappers can report `EPIPE` themselves.
            KernelError::PeerGone => Errno::Eio,
            // A stale or wrong reply id is a bad argument.
            KernelError::NoSuchReply => Errno::Einval,
            // A lease stands for the client's buffer; a copy outside it is a bad buffer.
            KernelError::LeaseViolation => Errno::Efault,
            // `execve` of a file that does not exist.
            KernelError::NoSuchImage => Errno::Enoent,
            // `execve` of a file that is not an executable.
            KernelError::BadImage => Errno::Enoexec,
            // Like `fork` at the process limit: a resource limit that may clear later. A
            // wrapper that knows the limit was on descriptors can report `EMFILE`.
            KernelError::LimitReached => Errno::Eagain,
            // Like `mmap` with `MAP_FIXED_NOREPLACE` over an existing mapping.
            KernelError::AddressInUse => Errno::Eexist,
            // An address range argument that names nothing.
            KernelError::NotMapped => Errno::Einval,
            // A non-blocking call that would have to wait.
            KernelError::WouldBlock => Errno::Eagain,
            KernelError::NoSuchProcess => Errno::Esrch,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::ToString;
    use std::vec::Vec;

    use super::*;

    /// Linux's aliases: (alias name, the errno it stands for).
    const ALIASES: &[(&str, Errno)] = &[
        ("EWOULDBLOCK", Errno::EWOULDBLOCK),
        ("EDEADLOCK", Errno::EDEADLOCK),
        ("ENOTSUP", Errno::ENOTSUP),
    ];

    #[test]
    fn numbers_round_trip() {
        for &errno in Errno::ALL {
            assert_eq!(Errno::from_number(errno.number()), Some(errno));
        }
        for number in [i32::MIN, -1, 0, 41, 58, 134, i32::MAX] {
            assert_eq!(Errno::from_number(number), None, "{number}");
        }
    }

    #[test]
    fn all_is_sorted_and_has_only_linux_gaps() {
        let numbers: Vec<i32> = Errno::ALL.iter().map(|errno| errno.number()).collect();
        let expected: Vec<i32> = (1..=133).filter(|number| ![41, 58].contains(number)).collect();
        assert_eq!(numbers, expected);
    }

    #[test]
    fn names_and_descriptions_are_well_formed() {
        for &errno in Errno::ALL {
            let name = errno.name();
            assert!(name.starts_with('E'), "{name}");
            assert!(name.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit()));
            // The variant is the name with all but the first letter in lower case.
            let variant = std::format!("{errno:?}");
            assert_eq!(variant.to_ascii_uppercase(), name);
            assert!(!errno.description().is_empty());
            assert_eq!(errno.to_string(), errno.description());
        }
    }

    #[test]
    fn spot_checks() {
        assert_eq!(Errno::Eperm.number(), 1);
        assert_eq!(Errno::Eperm.name(), "EPERM");
        assert_eq!(Errno::Eperm.description(), "Operation not permitted");
        assert_eq!(Errno::Enoent.description(), "No such file or directory");
        assert_eq!(Errno::Esrch.description(), "No such process");
        assert_eq!(Errno::Eintr.description(), "Interrupted system call");
        assert_eq!(Errno::Echild.description(), "No child processes");
        assert_eq!(Errno::Eagain.number(), 11);
        assert_eq!(Errno::Eagain.description(), "Resource temporarily unavailable");
        assert_eq!(Errno::E2big.name(), "E2BIG");
        assert_eq!(Errno::Enosys.number(), 38);
        assert_eq!(Errno::Eopnotsupp.number(), 95);
        assert_eq!(Errno::Ehwpoison.number(), 133);
        assert_eq!(Errno::Ehwpoison.name(), "EHWPOISON");
        assert_eq!(Errno::EWOULDBLOCK.number(), 11);
        assert_eq!(Errno::EDEADLOCK.number(), 35);
        assert_eq!(Errno::ENOTSUP.number(), 95);
    }

    #[test]
    fn kernel_errors_map_to_posix_errors() {
        let expected = [
            (KernelError::UnknownSyscall, Errno::Enosys),
            (KernelError::InvalidArgument, Errno::Einval),
            (KernelError::BadAddress, Errno::Efault),
            (KernelError::OutOfMemory, Errno::Enomem),
            (KernelError::InvalidHandle, Errno::Ebadf),
            (KernelError::WrongHandleKind, Errno::Ebadf),
            (KernelError::InsufficientRights, Errno::Eacces),
            (KernelError::Timeout, Errno::Etimedout),
            (KernelError::Interrupted, Errno::Eintr),
            (KernelError::PeerGone, Errno::Eio),
            (KernelError::NoSuchReply, Errno::Einval),
            (KernelError::LeaseViolation, Errno::Efault),
            (KernelError::NoSuchImage, Errno::Enoent),
            (KernelError::BadImage, Errno::Enoexec),
            (KernelError::LimitReached, Errno::Eagain),
            (KernelError::AddressInUse, Errno::Eexist),
            (KernelError::NotMapped, Errno::Einval),
            (KernelError::WouldBlock, Errno::Eagain),
            (KernelError::NoSuchProcess, Errno::Esrch),
        ];
        assert_eq!(expected.len(), KernelError::ALL.len());
        for (kernel, errno) in expected {
            assert_eq!(Errno::from(kernel), errno, "{kernel:?}");
        }
    }

    /// The host's errno module and `strerror`, as printed by Python.
    #[cfg(target_os = "linux")]
    const HOST_SCRIPT: &str = r#"
import errno, os, platform
print("libc\t" + platform.libc_ver()[0])
for number in range(0, 135):
    print("number\t%d\t%s\t%s" % (number, errno.errorcode.get(number, ""), os.strerror(number)))
for name in dir(errno):
    if name.startswith("E"):
        print("name\t%s\t%d" % (name, getattr(errno, name)))
"#;

    /// Compares the table with the host's names, numbers and (on glibc) texts.
    #[cfg(target_os = "linux")]
    #[test]
    fn matches_the_host() {
        use std::collections::BTreeMap;
        use std::process::Command;
        use std::string::String;

        let output = match Command::new("python3")
            .args(["-c", HOST_SCRIPT])
            .env("LC_ALL", "C")
            .env("LANGUAGE", "C")
            .output()
        {
            Ok(output) => output,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::eprintln!("python3 not found; skipping the host comparison");
                return;
            }
            Err(error) => panic!("running python3: {error}"),
        };
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8(output.stdout).unwrap();

        let mut libc = String::new();
        let mut host_texts = BTreeMap::new();
        let mut host_codes = BTreeMap::new();
        let mut host_names = BTreeMap::new();
        for line in text.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields[..] {
                ["libc", name] => libc = name.to_string(),
                ["number", number, code, description] => {
                    let number: i32 = number.parse().unwrap();
                    host_texts.insert(number, description.to_string());
                    if !code.is_empty() {
                        host_codes.insert(number, code.to_string());
                    }
                }
                ["name", name, number] => {
                    host_names.insert(name.to_string(), number.parse::<i32>().unwrap());
                }
                _ => panic!("unexpected line from python3: {line:?}"),
            }
        }
        let glibc = libc == "glibc";
        if !glibc {
            std::eprintln!("host libc is {libc:?}, not glibc; not comparing descriptions");
        }

        let mut mismatches = Vec::new();
        for number in 0..135 {
            let host_text = &host_texts[&number];
            let host_knows = !host_text.starts_with("Unknown error") && number != 0;
            match Errno::from_number(number) {
                Some(errno) => {
                    if glibc && errno.description() != host_text {
                        mismatches.push(std::format!(
                            "{number}: ours {:?}, host {host_text:?}",
                            errno.description()
                        ));
                    }
                    // Python keeps one name per number, sometimes an alias (ENOTSUP).
                    if let Some(code) = host_codes.get(&number) {
                        let alias = ALIASES
                            .iter()
                            .any(|&(alias, target)| alias == code.as_str() && target == errno);
                        if code != errno.name() && !alias {
                            mismatches
                                .push(std::format!("{number}: ours {}, host {code}", errno.name()));
                        }
                    }
                }
                None if glibc && host_knows => {
                    mismatches.push(std::format!("{number}: host has {host_text:?}, we lack it"));
                }
                None => {}
            }
        }
        for (name, &number) in &host_names {
            let ours =
                Errno::ALL.iter().find(|errno| errno.name() == name).copied().or_else(|| {
                    ALIASES.iter().find(|(alias, _)| alias == name).map(|&(_, errno)| errno)
                });
            match ours {
                Some(errno) if errno.number() == number => {}
                Some(errno) => {
                    mismatches.push(std::format!("{name}: ours {}, host {number}", errno.number()));
                }
                None => {
                    mismatches.push(std::format!("{name} = {number} on the host, not ours"));
                }
            }
        }
        let missing: Vec<&str> = Errno::ALL
            .iter()
            .map(|errno| errno.name())
            .filter(|name| !host_names.contains_key(*name))
            .collect();
        if !missing.is_empty() {
            std::eprintln!("the host's Python errno module lacks {missing:?}");
        }
        assert!(mismatches.is_empty(), "{mismatches:#?}");
    }
}
