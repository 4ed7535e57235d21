//! ipcrm: removes System V objects by id (`-q`, `-s`, `-m`) or key (`-Q`, `-S`, `-M`),
//! as util-linux's ipcrm; several options may follow one another.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::sysv_listing::Family;
use courier_tools::{arguments, parse_number};
use libsys::eprintln;

libsys::main!(main);

fn main() -> i32 {
    let arguments = arguments();
    if arguments.is_empty() {
        eprintln!("usage: ipcrm -q|-s|-m id ... | -Q|-S|-M key ...");
        return 2;
    }
    let mut code = 0;
    let mut pairs = arguments.chunks(2);
    for pair in &mut pairs {
        let [option, value] = pair else {
            eprintln!("ipcrm: {} needs an argument", pair[0]);
            return 2;
        };
        let (family, by_key) = match *option {
            "-q" => (Family::Messages, false),
            "-s" => (Family::Semaphores, false),
            "-m" => (Family::Segments, false),
            "-Q" => (Family::Messages, true),
            "-S" => (Family::Semaphores, true),
            "-M" => (Family::Segments, true),
            other => {
                eprintln!("ipcrm: unknown option {other}");
                return 2;
            }
        };
        let Some(number) = parse_number(value) else {
            eprintln!("ipcrm: {value}: not a number");
            code = 1;
            continue;
        };
        let id = if by_key { family.id_of_key(number) } else { Ok(number) };
        let outcome = id.and_then(|id| family.remove(id));
        if let Err(error) = outcome {
            let what = if by_key { "key" } else { "id" };
            eprintln!("ipcrm: {what} {value}: {error}");
            code = 1;
        }
    }
    code
}
