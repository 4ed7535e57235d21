//! Links the demo programs with Courier's program layout.

fn main() {
    courier_program_link::program();
}
