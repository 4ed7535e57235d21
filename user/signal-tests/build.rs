//! Links the signal test programs with Courier's program layout.

fn main() {
    courier_program_link::program();
}
