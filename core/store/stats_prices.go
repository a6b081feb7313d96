package store

import "strings"

// Price is what a model costs, in US dollars per million tokens: input,
// output, cache writes (5-minute cache) and cache reads.
type Price struct {
	Input, Output, CacheWrite, CacheRead float64
}

// Cost is the estimated cost in US dollars of the tokens in t.
func (p Price) Cost(t Totals) float64 {
	return (float64(t.InputTokens)*p.Input + float64(t.OutputTokens)*p.Output +
		float64(t.CacheCreationTokens)*p.CacheWrite + float64(t.CacheReadTokens)*p.CacheRead) / 1e6
}

// prices are Anthropic's list prices by model family, the first match on the
// model name winning; versions priced differently from their family come
// first. Costs computed from them are estimates: they ignore discounts,
// batch and long-context pricing, the 1-hour cache and what a subscription
// actually charges.
var prices = []struct {
	match string
	price Price
}{
	{"opus-4-5", Price{Input: 5, Output: 25, CacheWrite: 6.25, CacheRead: 0.50}},
	{"opus", Price{Input: 15, Output: 75, CacheWrite: 18.75, CacheRead: 1.50}},
	{"sonnet", Price{Input: 3, Output: 15, CacheWrite: 3.75, CacheRead: 0.30}},
	{"haiku-4", Price{Input: 1, Output: 5, CacheWrite: 1.25, CacheRead: 0.10}},
	{"3-5-haiku", Price{Input: 0.80, Output: 4, CacheWrite: 1, CacheRead: 0.08}},
	{"haiku", Price{Input: 0.25, Output: 1.25, CacheWrite: 0.30, CacheRead: 0.03}},
}

// PriceOf returns the list price of model (matched by family, case
// insensitive), and false for a model it does not know.
func PriceOf(model string) (Price, bool) {
	m := strings.ToLower(model)
	for _, p := range prices {
		if strings.Contains(m, p.match) {
			return p.price, true
		}
	}
	return Price{}, false
}
