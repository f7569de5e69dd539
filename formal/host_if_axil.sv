// SPDX-License-Identifier: Apache-2.0
// Formal harness: spw_host_if's AXI4-Lite slave port against axil_slave_checker.
`default_nettype none

// Every input that is not an AXI master signal is left free (a top-level
// input of the proof, any value in any cycle): the core's busy/done/error
// and counters, and the memory read data.  The protocol must hold whatever
// the core does, so no assumption about the core is needed here.
// The outstanding limits are the ones spw_host_if's header documents: one
// holding register per channel, not ready again until the response.
module host_if_axil #(
    parameter ROWS = 8,
    parameter COLS = 8,
    parameter ADEPTH = 4096,
    parameter WDEPTH = 4096,
    parameter IDEPTH = 4096,
    parameter ACC_W = 20
) (
    input wire        clk_i,
    input wire        rst_ni,
    input wire [19:0] s_axil_awaddr,
    input wire [2:0]  s_axil_awprot,
    input wire        s_axil_awvalid,
    input wire [31:0] s_axil_wdata,
    input wire [3:0]  s_axil_wstrb,
    input wire        s_axil_wvalid,
    input wire        s_axil_bready,
    input wire [19:0] s_axil_araddr,
    input wire [2:0]  s_axil_arprot,
    input wire        s_axil_arvalid,
    input wire        s_axil_rready,
    input wire        busy_i,
    input wire        done_i,
    input wire [3:0]  err_code_i,
    input wire [15:0] err_pc_i,
    input wire [31:0] perf_cycles_i,
    input wire [31:0] perf_mac_busy_i,
    input wire [31:0] perf_skipped_i,
    input wire [31:0] perf_stall_i,
    input wire [31:0] mem_rdata_i
);
    wire        awready, wready, bvalid, arready, rvalid;
    wire [1:0]  bresp, rresp;
    wire [31:0] rdata;
    wire        start, irq, mem_req, mem_we;
    wire [15:0] start_pc, mem_addr;
    wire [1:0]  mem_sel, mem_slot;
    wire [31:0] mem_wdata;
    wire [3:0]  mem_wstrb;

    spw_host_if #(
        .ROWS(ROWS), .COLS(COLS), .ADEPTH(ADEPTH), .WDEPTH(WDEPTH), .IDEPTH(IDEPTH), .ACC_W(ACC_W)
    ) dut (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(wready), .s_axil_bresp(bresp),
        .s_axil_bvalid(bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(arready),
        .s_axil_rdata(rdata), .s_axil_rresp(rresp), .s_axil_rvalid(rvalid),
        .s_axil_rready(s_axil_rready),
        .start_o(start), .start_pc_o(start_pc), .busy_i(busy_i), .done_i(done_i),
        .err_code_i(err_code_i), .err_pc_i(err_pc_i),
        .perf_cycles_i(perf_cycles_i), .perf_mac_busy_i(perf_mac_busy_i),
        .perf_skipped_i(perf_skipped_i), .perf_stall_i(perf_stall_i),
        .irq_o(irq),
        .mem_req_o(mem_req), .mem_we_o(mem_we), .mem_sel_o(mem_sel), .mem_addr_o(mem_addr),
        .mem_slot_o(mem_slot), .mem_wdata_o(mem_wdata), .mem_wstrb_o(mem_wstrb),
        .mem_rdata_i(mem_rdata_i)
    );

    wire [3:0] aw_out, w_out, ar_out;
    axil_slave_checker #(.AW(20), .DW(32), .MAX_WR(1), .MAX_RD(1)) chk (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .awaddr(s_axil_awaddr), .awprot(s_axil_awprot), .awvalid(s_axil_awvalid), .awready(awready),
        .wdata(s_axil_wdata), .wstrb(s_axil_wstrb), .wvalid(s_axil_wvalid), .wready(wready),
        .bresp(bresp), .bvalid(bvalid), .bready(s_axil_bready),
        .araddr(s_axil_araddr), .arprot(s_axil_arprot), .arvalid(s_axil_arvalid), .arready(arready),
        .rdata(rdata), .rresp(rresp), .rvalid(rvalid), .rready(s_axil_rready),
        .aw_out(aw_out), .w_out(w_out), .ar_out(ar_out)
    );

    // Documented in spw_host_if's header: xREADY is the empty flag of a
    // one-deep holding register, low from the channel's handshake until the
    // response handshake and high again the cycle after.  So each READY is
    // exactly "nothing outstanding on this channel".  These also tie the
    // checker's counters to the slave's state for the induction step.
    always @* begin
        if (rst_ni) begin
            a_aw_ready: assert (awready == (aw_out == 4'd0));
            a_w_ready: assert (wready == (w_out == 4'd0));
            a_ar_ready: assert (arready == (ar_out == 4'd0));
        end
    end

    // exempt from lint: outputs the protocol does not constrain
    wire unused = ^{start, irq, mem_req, mem_we, start_pc, mem_addr, mem_sel, mem_slot,
                    mem_wdata, mem_wstrb, aw_out, w_out, ar_out};
endmodule

`default_nettype wire
