//! The console on x86_64: the 16550 UART at COM1 (port 0x3f8), with the `uart_16550`
//! crate, plus its receive interrupt (ISA IRQ 4).

use uart_16550::backend::PioBackend;
use uart_16550::spec::registers::IER;
use uart_16550::{Config, Uart16550};

/// COM1's base port.
const COM1: u16 = 0x3f8;

/// The ISA interrupt line of COM1.
pub const ISA_LINE: u8 = 4;

static PORT: spin::Mutex<Option<Uart16550<PioBackend>>> = spin::Mutex::new(None);

/// Initialises COM1 (115200 8N1, FIFOs on, receive interrupt enabled in the UART; the
/// I/O APIC routing is separate). Safe to call more than once.
pub fn initialize() {
    let mut port = PORT.lock();
    if port.is_some() {
        return;
    }
    // SAFETY: 0x3f8..0x3ff are COM1's registers on a PC; nothing else in the kernel uses
    // them, and the lock gives this driver exclusive access.
    let Ok(mut uart) = (unsafe { Uart16550::new_port(COM1) }) else {
        return;
    };
    let config = Config { interrupts: IER::DATA_READY, ..Config::default() };
    if uart.init(config).is_ok() {
        *port = Some(uart);
    }
}

/// Writes `bytes`, turning `\n` into `\r\n`. Silently does nothing without a UART.
pub fn write_bytes(bytes: &[u8]) {
    let mut port = PORT.lock();
    write_with(&mut port, bytes);
}

fn write_with(port: &mut Option<Uart16550<PioBackend>>, bytes: &[u8]) {
    let Some(uart) = port.as_mut() else {
        return;
    };
    for chunk in bytes.split_inclusive(|&byte| byte == b'\n') {
        match chunk.strip_suffix(b"\n") {
            Some(line) => {
                uart.send_bytes_exact(line);
                uart.send_bytes_exact(b"\r\n");
            }
            None => uart.send_bytes_exact(chunk),
        }
    }
}

/// Writes `bytes` even if the console lock is held (by code that faulted while printing).
pub fn write_bytes_emergency(bytes: &[u8]) {
    // SAFETY: used only on the fatal path, after which the kernel stops; the interrupted
    // holder of the lock never runs again, so no two writers use the UART at once.
    unsafe { PORT.force_unlock() };
    write_bytes(bytes);
}

/// A received byte, if one is waiting.
pub fn read_byte() -> Option<u8> {
    PORT.lock().as_mut()?.try_receive_byte().ok()
}
