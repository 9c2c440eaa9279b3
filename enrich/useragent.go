package enrich

import (
	"strings"

	useragent "github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// DeviceClass is the kind of device a user agent runs on.
type DeviceClass string

// The device classes.
const (
	DeviceDesktop DeviceClass = "desktop"
	DeviceMobile  DeviceClass = "mobile"
	DeviceTablet  DeviceClass = "tablet"
	// DeviceBot is a crawler, a headless browser or an HTTP library
	// (curl, python-requests, ...).
	DeviceBot DeviceClass = "bot"
	// DeviceUnknown is an empty or unrecognised user agent, and TVs and
	// consoles.
	DeviceUnknown DeviceClass = "unknown"
)

// Agent is what a user-agent string says about the client.
type Agent struct {
	// Browser is the browser family: "Chrome", "Safari", "Firefox", "Edge",
	// "Opera", "Samsung Browser", ...; "" if unknown.
	Browser string
	// BrowserMajor is the browser's major version, such as "131"; "" if unknown.
	BrowserMajor string
	// OS is the operating system family: "Windows", "macOS", "iOS",
	// "Android", "Linux", "ChromeOS", ...; "" if unknown.
	OS string
	// Device is the device class.
	Device DeviceClass
}

// ParseUserAgent parses a User-Agent header with the medama-io/go-useragent
// trie parser. The parser is built on the first call (a few milliseconds)
// and held by that library; this package keeps no state. Any string is
// accepted; what is not recognised is left empty.
func ParseUserAgent(ua string) Agent {
	p := useragent.NewParser().Parse(ua)
	a := Agent{
		Browser: string(p.Browser()),
		OS:      osName(p.OS()),
		Device:  deviceClass(p.Device()),
	}
	if v := p.BrowserVersion(); v != "" {
		a.BrowserMajor, _, _ = strings.Cut(v, ".")
	}
	// Android tablets leave "Mobile" out of their user agent; the parser
	// calls them mobile all the same.
	if a.OS == "Android" && a.Device == DeviceMobile && !strings.Contains(ua, "Mobile") {
		a.Device = DeviceTablet
	}
	return a
}

func osName(os agents.OS) string {
	if os == agents.OSMacOS {
		return "macOS"
	}
	return string(os)
}

func deviceClass(d agents.Device) DeviceClass {
	switch d {
	case agents.DeviceDesktop:
		return DeviceDesktop
	case agents.DeviceMobile:
		return DeviceMobile
	case agents.DeviceTablet:
		return DeviceTablet
	case agents.DeviceBot:
		return DeviceBot
	}
	return DeviceUnknown
}

// agentCacheSize bounds an AgentCache. A store's traffic comes from a few
// hundred browser builds at a time, so this holds nearly all of them.
const agentCacheSize = 4096

// AgentCache remembers what user agents parsed to: the same few hundred
// strings come again and again, and a parse takes about 1.5 µs against a
// map look-up's tens of nanoseconds. It is bounded, and starts afresh
// when full. An AgentCache is not safe for concurrent use; each of the
// engine's shards keeps its own. The zero value is ready to use.
type AgentCache struct {
	agents map[string]Agent
}

// Parse is ParseUserAgent, remembered.
func (c *AgentCache) Parse(ua string) Agent {
	if a, ok := c.agents[ua]; ok {
		return a
	}
	a := ParseUserAgent(ua)
	if c.agents == nil || len(c.agents) >= agentCacheSize {
		c.agents = make(map[string]Agent)
	}
	c.agents[ua] = a
	return a
}
