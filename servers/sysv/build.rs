//! Links the System V IPC server with Courier's program layout.

fn main() {
    courier_program_link::program();
}
