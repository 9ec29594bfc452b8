//! One way to name an enum's values. Statuses, kinds, grades and roles travel as stable
//! snake_case names (in documents, the database, the wire, the command line); [`named!`] gives
//! such an enum its table of names once, and from it `ALL`, `as_str`, `Display` and `FromStr`,
//! whose error names the accepted values.

/// Gives a unit enum its names: `ALL` (every value, in the order listed), `as_str`, `Display`
/// and `FromStr` (an unknown name is [`Error::InvalidArgument`](crate::Error::InvalidArgument)
/// listing the accepted names).
///
/// ```
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// pub enum Light { Red, Green }
/// offgrid_common::named!(pub Light, "light" { Red => "red", Green => "green" });
///
/// assert_eq!(Light::ALL, [Light::Red, Light::Green]);
/// assert_eq!("green".parse::<Light>().unwrap(), Light::Green);
/// assert_eq!(Light::Red.to_string(), "red");
/// assert_eq!(
///     "blue".parse::<Light>().unwrap_err().to_string(),
///     "invalid argument: unknown light \"blue\" (expected one of: red, green)"
/// );
/// ```
#[macro_export]
macro_rules! named {
    ($vis:vis $ty:ident, $what:literal { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order of its names.
            $vis const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The value's stable name.
            $vis fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::Error;

            fn from_str(s: &str) -> ::std::result::Result<Self, $crate::Error> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::Error::InvalidArgument(format!(
                        "unknown {} {:?} (expected one of: {})",
                        $what,
                        s,
                        [$($name),+].join(", ")
                    ))),
                }
            }
        }
    };
}
