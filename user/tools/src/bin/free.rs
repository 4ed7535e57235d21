//! free: the kernel's counters (free memory, processes, threads, endpoints, memory
//! objects), the uptime, and the System V objects in use.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::sysv_listing::Family;
use libsys::println;

libsys::main!(main);

fn main() -> i32 {
    let statistics = libsys::process::kernel_statistics();
    let page = libsys::abi::layout::PAGE_SIZE as u64;
    let uptime = libsys::time::monotonic();
    println!("uptime:         {}.{:03} s", uptime.as_secs(), uptime.subsec_millis());
    println!(
        "free memory:    {} KiB ({} frames of {} bytes)",
        statistics.free_frames * page / 1024,
        statistics.free_frames,
        page
    );
    println!("processes:      {}", statistics.processes);
    println!("threads:        {}", statistics.threads);
    println!("endpoints:      {}", statistics.endpoints);
    println!("memory objects: {}", statistics.memory_objects);
    println!("kernel entries: {}", statistics.kernel_entries);
    println!("space switches: {}", statistics.space_switches);
    for (family, name) in [
        (Family::Messages, "message queues: "),
        (Family::Semaphores, "semaphore sets: "),
        (Family::Segments, "shm segments:   "),
    ] {
        match family.objects() {
            Ok(objects) => println!("{name}{}", objects.len()),
            Err(error) => println!("{name}unknown ({error})"),
        }
    }
    0
}
