use resilient::Transient;

#[derive(Transient)]
enum Wrapped<E> {
    #[delegate]
    Inner(E),
    #[permanent]
    Other,
}

fn main() {}
