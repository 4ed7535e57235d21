//! deadlock: two processes that wait for each other forever, so the kernel's deadlock
//! report and its clean-up of blocked processes can be tested.
//!
//! The first copy (argument 0) creates an endpoint, starts a second copy (argument 1)
//! with it, and calls. The second receives that call, keeps it unanswered and receives
//! again. Neither can ever run again; the kernel says so and stops both.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use libsys::KernelError;
use libsys::abi::Handle;
use libsys::abi::ipc::MESSAGE_WORDS;
use libsys::ipc::Endpoint;

libsys::main!(main);

fn main() -> Result<(), KernelError> {
    if libsys::runtime::argument() == 1 {
        let endpoint = Endpoint(Handle::initial(1));
        endpoint.receive_forever(None)?;
        libsys::println!("deadlock: holding a call and receiving again");
        endpoint.receive_forever(None)?;
        return Err(KernelError::InvalidArgument);
    }
    let endpoint = Endpoint::create()?;
    libsys::process::spawn("deadlock", &[endpoint.0], 1)?;
    endpoint.call(1, [0; MESSAGE_WORDS])?;
    Err(KernelError::InvalidArgument)
}
