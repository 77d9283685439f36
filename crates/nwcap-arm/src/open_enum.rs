//! Open enumerations.
//!
//! ARM adds enum values without bumping every client: a new
//! `packetCaptureStatus` must be shown, not turned into a parse failure. Each
//! enum here has the known values plus `Other(String)`, which keeps whatever
//! the server sent and serializes it back unchanged.

/// Declares an open enum with known variants, `Other(String)`, `as_str`,
/// `Display`, `FromStr` (infallible, case-insensitive) and string serde.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(s) => s,
                }
            }

            /// Parses a wire value (case-insensitive); unknown values become `Other`.
            pub fn parse(s: &str) -> Self {
                $( if s.eq_ignore_ascii_case($text) { return Self::$variant; } )*
                Self::Other(s.to_owned())
            }

            /// Whether the value is one this version knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(s))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}

pub(crate) use open_enum;
