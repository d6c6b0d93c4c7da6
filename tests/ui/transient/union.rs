use resilient::Transient;

#[derive(Transient)]
#[transient]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
