//! Domain values, parsed once at the edge. Each constructor is the one place
//! its rule lives; its error says what is wrong in words a customer can act on.

pub mod account;
pub mod address;
pub mod email;
pub mod name;
pub mod password;
pub mod phone;
pub mod tax;

pub use account::{AccountType, Sector};
pub use address::{Country, IndianState, Line, PinCode};
pub use email::Email;
pub use name::{CompanyName, PersonName};
pub use password::Password;
pub use phone::{Phone, PhoneType};
pub use tax::{Gstin, Pan};

/// Why a value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);
