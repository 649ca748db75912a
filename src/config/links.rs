//! Where participant links point: the service's own answering page unless settings say
//! otherwise.

use std::net::{IpAddr, SocketAddr};

use super::Settings;

impl Settings {
    /// The start of every participant link: `respond_link_base`, else the answering page
    /// at `public_url`, else at `listening`, the address the service is bound to.
    pub fn link_base(&self, listening: SocketAddr) -> String {
        if let Some(base) = &self.respond_link_base {
            return base.clone();
        }
        let public = match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                // An address that listens everywhere is reached on this machine as loopback.
                let host = match listening.ip() {
                    ip if ip.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
                    ip => ip,
                };
                format!("http://{}", SocketAddr::new(host, listening.port()))
            }
        };
        format!("{public}/respond/")
    }

    /// A warning for `serve` when mailed links point at another host or port than the one
    /// the service listens on: right behind a reverse proxy, a broken link otherwise.
    pub fn link_base_warning(&self, listening: SocketAddr) -> Option<String> {
        let base = self.link_base(listening);
        let Ok(url) = reqwest::Url::parse(&base) else {
            return Some(format!(
                "mailed links start with {base:?}, which is not a URL"
            ));
        };
        let port_matches = url.port_or_known_default() == Some(listening.port());
        let host = url.host_str().unwrap_or_default();
        let host_matches = listening.ip().is_unspecified()
            || match host.trim_matches(['[', ']']).parse::<IpAddr>() {
                Ok(ip) => ip == listening.ip(),
                Err(_) => host == "localhost" && listening.ip().is_loopback(),
            };
        (!(port_matches && host_matches)).then(|| {
            format!(
                "mailed links start with {base} but the service listens on {listening}: \
                 right behind a reverse proxy; otherwise set public_url (or respond_link_base)"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_the_address_the_service_listens_on() {
        let listening: SocketAddr = "127.0.0.1:9123".parse().unwrap();
        let settings = Settings::default();
        assert_eq!(
            settings.link_base(listening),
            "http://127.0.0.1:9123/respond/"
        );
        assert_eq!(settings.link_base_warning(listening), None);
        let everywhere: SocketAddr = "0.0.0.0:9123".parse().unwrap();
        assert_eq!(
            settings.link_base(everywhere),
            "http://127.0.0.1:9123/respond/"
        );
    }

    #[test]
    fn a_public_url_or_a_link_base_moves_the_links_and_serve_warns() {
        let listening: SocketAddr = "127.0.0.1:9123".parse().unwrap();
        let public = Settings {
            public_url: Some("https://survey.example.org/".into()),
            ..Settings::default()
        };
        assert_eq!(
            public.link_base(listening),
            "https://survey.example.org/respond/"
        );
        let warning = public.link_base_warning(listening).unwrap();
        assert!(warning.contains("127.0.0.1:9123"), "{warning}");
        let front_end = Settings {
            respond_link_base: Some("http://localhost:9123/answer/".into()),
            ..Settings::default()
        };
        assert_eq!(
            front_end.link_base(listening),
            "http://localhost:9123/answer/"
        );
        assert_eq!(front_end.link_base_warning(listening), None, "same machine");
        let other_port = Settings {
            public_url: Some("http://127.0.0.1:8080".into()),
            ..Settings::default()
        };
        assert!(other_port.link_base_warning(listening).is_some());
    }
}
